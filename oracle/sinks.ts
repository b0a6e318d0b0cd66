/**
 * What one alert looks like on the wire for each kind of sink (docs/protocol.md §7, Webhooks):
 *
 * - `standard`: a CloudEvents 1.0 structured event (`application/cloudevents+json`, built and
 *   validated by the `cloudevents` SDK) signed per the Standard Webhooks spec by the
 *   `standardwebhooks` library: `webhook-id` (the event id, the dedupe key), `webhook-timestamp`
 *   and `webhook-signature: v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>`;
 * - `pagerduty`: a PagerDuty Events API v2 `trigger`, `dedup_key` = the event id, severity critical;
 * - `slack`: a Slack incoming-webhook message (`text`).
 *
 * Pure formatting: no I/O. Secrets (the whsec key, the routing key, the Slack URL) stay in the
 * resolved Webhook and are never part of anything logged.
 */
import { CloudEvent, HTTP } from 'cloudevents';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import type { WebhookConfig } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import type { AlertEvent } from './records.js';

interface Base {
  readonly index: number;
  readonly url: string;
  readonly timeoutMs: number;
}
/** A configured sink with its secret resolved. */
export type Webhook =
  | (Base & { readonly kind: 'standard' /** SECRET: whsec_… */; readonly secret: string })
  | (Base & { readonly kind: 'pagerduty' /** SECRET */; readonly routingKey: string })
  /** The URL itself is the secret of a Slack incoming webhook. */
  | (Base & { readonly kind: 'slack' });

/** Who sends the alerts: the CloudEvents `source` and PagerDuty `source`/`group`. */
export interface AlertOrigin {
  readonly clusterId: string;
  readonly nodeId: number;
}

export interface Delivery {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Resolves `secretEnv`, `routingKeyEnv` and `urlEnv`; CONFIG_INVALID (naming the variable, never its value) if unset. */
export function resolveWebhooks(configs: readonly WebhookConfig[], env = process.env): Webhook[] {
  return configs.map((c, index) => {
    const fromEnv = (name: string | undefined, inline: string | undefined): string => {
      const v = inline ?? (name ? env[name] : undefined);
      if (!v)
        throw new MpcidError(
          'CONFIG_INVALID',
          `alerts.webhooks.${index}: environment variable ${name} is not set`,
        );
      return v;
    };
    const base = { index, timeoutMs: c.timeoutMs };
    if (c.kind === 'standard')
      return {
        ...base,
        kind: 'standard',
        url: c.url,
        secret: checkedSecret(fromEnv(c.secretEnv, c.secret), index),
      };
    if (c.kind === 'pagerduty')
      return { ...base, kind: 'pagerduty', url: c.url, routingKey: fromEnv(c.routingKeyEnv, c.routingKey) };
    const url = fromEnv(c.urlEnv, c.url);
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      throw new MpcidError('CONFIG_INVALID', `alerts.webhooks.${index}: ${c.urlEnv} is not an http(s) URL`);
    return { ...base, kind: 'slack', url };
  });
}

/** A secret from the environment gets the config file's check too (whsec_ and 24-64 bytes). */
function checkedSecret(secret: string, index: number): string {
  const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  const n = m ? Buffer.from(m[1]!, 'base64').length : 0;
  if (n < 24 || n > 64)
    throw new MpcidError(
      'CONFIG_INVALID',
      `alerts.webhooks.${index}: the secret must be whsec_ followed by the base64 of 24 to 64 random bytes`,
    );
  return secret;
}

/** What logs may show of a sink: the URL without credentials, query or fragment; for Slack only its origin. */
export function sinkLabel(hook: Webhook): string {
  const u = new URL(hook.url);
  return hook.kind === 'slack' ? `${u.origin}/…` : `${u.origin}${u.pathname}`;
}

/** The CloudEvents `source` of an oracle's alerts. */
export function sourceOf(origin: AlertOrigin): string {
  return `urn:mpcid:cluster:${origin.clusterId}:oracle:${origin.nodeId}`;
}

/** The CloudEvents `type` of an alert: `dev.mpcid.identity.clone_detected`, …. */
export const cloudEventType = (e: AlertEvent) => `dev.mpcid.${e.type}`;

/** The alert as a CloudEvents 1.0 structured event (validated by the SDK: a bad event throws). */
export function cloudEvent(e: AlertEvent, origin: AlertOrigin): Delivery {
  const ce = new CloudEvent({
    specversion: '1.0',
    id: e.id,
    source: sourceOf(origin),
    type: cloudEventType(e),
    subject: e.identityId,
    time: e.time,
    datacontenttype: 'application/json',
    data: e,
  });
  const m = HTTP.structured(ce);
  return { headers: { 'content-type': String(m.headers['content-type']) }, body: String(m.body) };
}

const WHAT: Record<AlertEvent['type'], string> = {
  'identity.clone_detected': 'clone detected',
  'identity.ecdsa_aborted': 'ES256 session aborted',
  'identity.suspended': 'identity suspended',
  'identity.revoked': 'identity revoked by an operator',
};

/** One line naming the identity and what happened (PagerDuty's summary, Slack's first line). */
export function summaryOf(e: AlertEvent): string {
  const what =
    e.type === 'identity.suspended'
      ? `suspended on an oracle's accusation`
      : e.type === 'identity.ecdsa_aborted'
        ? 'revoked: an ES256 session aborted'
        : e.type === 'identity.revoked'
          ? `revoked by ${e.operator?.name ?? 'an operator'}: ${e.reason}`
          : `revoked: two histories at counter ${e.counter}`;
  return `mpcid ${WHAT[e.type]}: identity ${e.name} (kid ${e.identityId}) ${what}`.slice(0, 1024);
}

/** A PagerDuty Events API v2 trigger. */
export function pagerDutyEvent(e: AlertEvent, origin: AlertOrigin, routingKey: string): Delivery {
  const body = {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: e.id,
    payload: {
      summary: summaryOf(e),
      source: sourceOf(origin),
      severity: 'critical',
      timestamp: e.time,
      component: 'mpcid',
      group: origin.clusterId,
      class: e.type,
      custom_details: e,
    },
    client: 'mpcid',
  };
  return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Slack's mrkdwn needs &, < and > escaped. */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A Slack incoming-webhook message: a few readable lines. */
export function slackMessage(e: AlertEvent, origin: AlertOrigin): Delivery {
  const lines = [
    `:rotating_light: *mpcid ${WHAT[e.type]}*: identity \`${e.name}\` ${e.type === 'identity.suspended' ? 'suspended' : 'revoked'}`,
    `kid: \`${e.identityId}\``,
    ...(e.histories?.length === 2
      ? [
          `histories fork at counter ${e.counter}: ` +
            e.histories
              .map(
                (h) =>
                  `${h.role} ${h.kind} step ${h.counter} from ${h.peer}${h.exposing ? ' (exposing)' : ''}`,
              )
              .join(' / '),
        ]
      : [`reason: ${e.reason}`, ...(e.operator ? [`operator: ${e.operator.name}`] : [])]),
    `evidence ${e.id}, reported by oracle ${e.reportingNode} of cluster ${origin.clusterId} at ${e.time}`,
  ];
  return {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: slackEscape(lines.join('\n')) }),
  };
}

/** The request for one attempt to deliver `e` to `hook` (a standard webhook is signed at `now`). */
export function deliveryFor(hook: Webhook, e: AlertEvent, origin: AlertOrigin, now: Date): Delivery {
  switch (hook.kind) {
    case 'pagerduty':
      return pagerDutyEvent(e, origin, hook.routingKey);
    case 'slack':
      return slackMessage(e, origin);
    case 'standard': {
      const d = cloudEvent(e, origin);
      const signature = new StandardWebhook(hook.secret).sign(e.id, now, d.body);
      return {
        body: d.body,
        headers: {
          ...d.headers,
          'webhook-id': e.id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signature,
        },
      };
    }
  }
}
