// The osc-monitor plugin: Node-RED loads it once, whatever nodes the flows use, with the admin API and the comms
// events a plugin gets; its HTML (plugins/osc-monitor.html) adds the "OSC" sidebar tab. See nodes/monitor.ts.
import { MonitorService } from '../nodes/monitor';
import type { MonitorRED } from '../nodes/monitor';

export = function (RED: MonitorRED): void {
  new MonitorService(RED).install();
};
