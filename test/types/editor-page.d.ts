// Functions that Playwright runs inside the Node-RED editor page (page.evaluate, waitForFunction) use the
// editor's own global, which has no published types.
declare const RED: any;
// The editor's jQuery, through which a test reaches its widgets (editableList, typedInput) as the editor does.
declare const $: any;
interface Window {
  RED: any;
  /** resources/osc-learn.js */
  OscLearn: any;
  /** resources/osc-monitor-client.js */
  OscMonitor: any;
}
