// The literal rules of the osc route nodes fed by an endpoint, offered as methods of its address space: a flow
// that routes "/avatar/change" receives it, so it can say so. Only direct wires from an osc in on that endpoint
// count, and a rule with wildcards is no method (a pattern names many addresses, OSCQuery wants each one).
// Nothing here knows Node-RED: it reads the flow's saved node definitions.
import { compilePattern } from '../osc/pattern';

/** The parts of a saved node definition read here. */
export interface FlowNodeDef {
  id?: unknown;
  type?: unknown;
  wires?: unknown;
  transport?: unknown;
  endpoint?: unknown;
  tcpEndpoint?: unknown;
  rules?: unknown;
}

function literal(pattern: unknown): pattern is string {
  if (typeof pattern !== 'string') return false;
  try {
    return compilePattern(pattern).literal;
  } catch {
    return false;
  }
}

/** The literal rule patterns of osc route nodes wired straight from an osc in on the endpoint `endpointId`. */
export function routeAddresses(defs: readonly FlowNodeDef[], endpointId: string): string[] {
  const byId = new Map<unknown, FlowNodeDef>();
  for (const d of defs) byId.set(d.id, d);
  const out = new Set<string>();
  for (const d of defs) {
    if (d.type !== 'osc-in') continue;
    const ep = d.transport === 'tcp' ? d.tcpEndpoint : d.endpoint;
    if (ep !== endpointId || !Array.isArray(d.wires)) continue;
    for (const port of d.wires as unknown[]) {
      if (!Array.isArray(port)) continue;
      for (const target of port) {
        const r = byId.get(target);
        if (r?.type !== 'osc-route' || !Array.isArray(r.rules)) continue;
        for (const rule of r.rules as Array<{ pattern?: unknown } | null>) {
          const p = rule?.pattern;
          if (literal(p)) out.add(p);
        }
      }
    }
  }
  return [...out];
}
