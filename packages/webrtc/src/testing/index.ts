// Test data for WebRTC code: a real Chromium offer, to check answers without a browser.
export { CHROME_OFFER } from "./chrome-offer.js";
