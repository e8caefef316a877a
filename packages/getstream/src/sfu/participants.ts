// Who is in the call as the SFU reports it, keyed by session (one user may join twice).
import { models } from "../proto/index.js";

export interface SfuParticipant {
  userId: string;
  sessionId: string;
  name: string;
  /** The msid stream-id prefix of this session's tracks in the subscriber SDP. */
  trackLookupPrefix: string;
  publishedTracks: Set<models.TrackType>;
}

export function fromProto(p: models.Participant): SfuParticipant {
  return {
    userId: p.userId,
    sessionId: p.sessionId,
    name: p.name,
    trackLookupPrefix: p.trackLookupPrefix,
    publishedTracks: new Set(p.publishedTracks),
  };
}

/** The participant's key in the subscriber SDP: `<track_lookup_prefix>:TRACK_TYPE_AUDIO` → prefix and type. */
export function parseStreamId(streamId: string): { prefix: string; trackType: models.TrackType } | undefined {
  const i = streamId.lastIndexOf(":");
  if (i <= 0) return undefined;
  const name = streamId.slice(i + 1);
  const trackType = models.TrackType[name.replace(/^TRACK_TYPE_/, "") as keyof typeof models.TrackType];
  if (trackType === undefined) return undefined;
  return { prefix: streamId.slice(0, i), trackType };
}
