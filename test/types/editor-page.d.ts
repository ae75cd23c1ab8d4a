// Functions that Playwright runs inside the Node-RED editor page (page.evaluate, waitForFunction) use the
// editor's own global, which has no published types.
declare const RED: any;
// The editor's jQuery, through which a test reaches its widgets (editableList, typedInput) as the editor does.
declare const $: any;
interface Window {
  RED: any;
  // The live monitor's editor API (resources/osc-monitor-client.js), and a test's count of its batches.
  OscMonitor: any;
  __oscmonBatches: number;
  /** resources/osc-learn.js */
  OscLearn: any;
}
