// Test data for WebRTC code: a real Chromium offer, to check answers without a browser.
export { CHROME_OFFER, CHROME_OFFER_WITH_VIDEO } from "./chrome-offer.js";
