/** Who the agent is in a call. */
export interface UserOptions {
  /** Shown to other participants. Default "Agent". */
  name?: string;
  /** Stable id on the edge network. Default "agent". */
  id?: string;
  /** Avatar URL, where the edge shows one. */
  image?: string;
}

export class User {
  readonly id: string;
  readonly name: string;
  readonly image: string | undefined;

  constructor(options: UserOptions = {}) {
    this.name = options.name ?? "Agent";
    this.id = options.id ?? "agent";
    this.image = options.image;
    if (this.id.length === 0) throw new RangeError("User id must not be empty");
  }
}
