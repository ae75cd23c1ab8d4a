// Functions that Playwright runs inside the Node-RED editor page (page.evaluate, waitForFunction) use the
// editor's own global, which has no published types.
declare const RED: any;
interface Window {
  RED: any;
}
