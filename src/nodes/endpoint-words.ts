// An endpoint's words (its status, its errors and warnings) in the runtime's language. The transport layer words
// them in English and names each by a key with its params (docs/endpoints.md); the node's catalogue holds the
// texts under "endpoint" (errors and warnings: "<code>.<case>"), "endpoint-short" (the same keys: a few words for
// a status) and "endpoint-status" (the status keys). Where the catalogue has no text (words the endpoint takes
// from a parser, or builds in parts), the endpoint's English stands.
import type { EndpointAdvertisement, EndpointError, EndpointStatus } from '../transport/endpoint';
import type { TextParams, Texts } from './texts';

export class EndpointWords {
  constructor(private readonly texts: Texts) {}

  /** The sentence of an endpoint error or warning. */
  message(e: EndpointError): string {
    const found = this.find('endpoint', e);
    if (found === undefined) return e.message;
    // A connection being retried keeps its error's key and words, with the delay added.
    const retry = e.params.retryInS;
    return typeof retry === 'number' ? found + this.texts.t('endpoint-retry', { seconds: retry }) : found;
  }

  /** The few words of an endpoint error, for a status. */
  short(e: EndpointError): string {
    return this.find('endpoint-short', e) ?? e.short;
  }

  /** The endpoint's state in words ("listening on 0.0.0.0:9000", "port 9000 in use", "refused · retrying ..."). */
  status(st: EndpointStatus, error: EndpointError | undefined): string {
    if (st.key === 'failed') return error ? this.short(error) : st.text;
    const params: TextParams = { ...st.params };
    // The reason of a retry is the error's short words, in English: word it again.
    if (st.key === 'retrying' && error !== undefined) params.reason = this.short(error);
    if (st.key === 'listeningTcp') params.count = st.params.clients;
    return this.texts.find(`endpoint-status.${st.key}`, params) ?? st.text;
  }

  /**
   * How the endpoint is published by DNS-SD, for a status: "advertised as Node-RED on studio", "announcing ..."
   * while the name is claimed, "not advertised (reason)"; undefined when it is not advertised at all.
   */
  advertised(a: EndpointAdvertisement | undefined): string | undefined {
    if (a === undefined) return undefined;
    if (a.state === 'failed') {
      const reason = a.reason ?? '';
      return this.texts.find('endpoint-status.notAdvertised', { name: a.name, reason }) ?? `not advertised (${reason})`;
    }
    const key = a.state === 'announced' ? 'advertised' : 'announcing';
    return (
      this.texts.find(`endpoint-status.${key}`, { name: a.name }) ??
      (a.state === 'announced' ? `advertised as ${a.name}` : `announcing ${a.name}`)
    );
  }

  /** "<group>.<key>": the keys are a fixed set (docs/endpoints.md); a system-chosen code is "OTHER.<case>". */
  private find(group: string, e: EndpointError): string | undefined {
    return this.texts.find(`${group}.${e.key}`, e.params);
  }
}
