import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server in the test's process (smtp-server speaks the protocol; nodemailer talks to it over TCP). It
 * keeps every accepted message, and can be told to refuse recipients with a given reply, as a relay that is busy
 * (4xx) or refuses (5xx) would.
 */

export interface CapturedMessage {
  envelopeFrom: string;
  envelopeTo: string[];
  /** Header names in lower case, values unfolded and decoded (RFC 2047 words). */
  headers: Map<string, string>;
  subject: string;
  /** The text body, its transfer encoding undone. */
  text: string;
}

export interface SmtpCapture {
  url: string;
  messages: CapturedMessage[];
  /** Refuse every RCPT TO with this reply until set back to null. */
  refuse: { code: number; message: string } | null;
  /** Resolves once at least `count` messages arrived; fails after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<CapturedMessage[]>;
  stop(): Promise<void>;
}

export async function startSmtpCapture(): Promise<SmtpCapture> {
  const capture: SmtpCapture = {
    url: '',
    messages: [],
    refuse: null,
    async waitForMessages(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (capture.messages.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} message(s), got ${capture.messages.length}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return capture.messages;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    // Connections the client keeps open would hold close() for its default 30 s.
    closeTimeout: 100,
    onRcptTo(_address, _session, callback) {
      if (!capture.refuse) return callback();
      callback(Object.assign(new Error(capture.refuse.message), { responseCode: capture.refuse.code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const parsed = parseMessage(Buffer.concat(chunks).toString('utf8'));
        capture.messages.push({
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          envelopeTo: session.envelope.rcptTo.map((recipient) => recipient.address),
          ...parsed,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  capture.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return capture;
}

function parseMessage(raw: string): Omit<CapturedMessage, 'envelopeFrom' | 'envelopeTo'> {
  const normalized = raw.replace(/\r\n/g, '\n');
  const split = normalized.indexOf('\n\n');
  const head = split === -1 ? normalized : normalized.slice(0, split);
  const body = split === -1 ? '' : normalized.slice(split + 2);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const text =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(body)
      : encoding === 'base64'
        ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
        : body;
  return { headers, subject: headers.get('subject') ?? '', text: text.replace(/\n$/, '') };
}

function decodeQuotedPrintable(text: string): string {
  // Literal % first, then each =XX byte as %XX: percent-decoding turns the bytes back into UTF-8 text.
  return decodeURIComponent(text.replace(/%/g, '%25').replace(/=\n/g, '').replace(/=([0-9A-F]{2})/gi, '%$1'));
}

/** RFC 2047 encoded words (=?UTF-8?Q?...?= and =?UTF-8?B?...?=), as nodemailer writes non-ASCII headers. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_, mode: string, data: string) =>
      mode.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}
