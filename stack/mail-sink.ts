import { appendFile, mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { z } from 'zod';

/**
 * A local SMTP server that accepts every message and appends it to a file (mbox format), for `npm start` on one
 * machine: with no LEDGERFLOW_SMTP_URL the supervisor runs it and points the worker at it, so notifications are
 * really sent over SMTP and can be read in the data directory. Not a relay: it delivers nothing anywhere.
 *
 *   MAIL_SINK_PORT=2525 MAIL_SINK_FILE=.data/mail.mbox bun stack/mail-sink.ts
 */

export interface RunningMailSink {
  port: number;
  url: string;
  file: string;
  stop(): Promise<void>;
}

/** Messages above this size are refused (552): notifications are a few hundred bytes. */
const maximumMessageBytes = 1_000_000;

export async function startMailSink(options: { port: number; host?: string; file: string; log?: (line: string) => void }): Promise<RunningMailSink> {
  const host = options.host ?? '127.0.0.1';
  await mkdir(path.dirname(options.file), { recursive: true });
  // Appends are serialised so two sessions' messages never interleave in the file.
  let writes = Promise.resolve();
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS (its self-signed certificate would fail a verifying client), no AUTH.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    size: maximumMessageBytes,
    banner: 'ledgerflow mail sink: messages are written to a file, never delivered',
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error('message too large'), { responseCode: 552 }));
          return;
        }
        const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address || 'MAILER-DAEMON' : 'MAILER-DAEMON';
        const recipients = session.envelope.rcptTo.map((recipient) => recipient.address);
        // mbox: a "From " separator line, the message with its own "From " lines quoted, a blank line.
        const message = Buffer.concat(chunks).toString('utf8').replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1');
        const entry = `From ${sender} ${new Date().toUTCString()}\nX-Envelope-To: ${recipients.join(', ')}\n${message.endsWith('\n') ? message : `${message}\n`}\n`;
        writes = writes.then(() => appendFile(options.file, entry, 'utf8'));
        writes.then(
          () => {
            options.log?.(`message from ${sender} to ${recipients.join(', ')} written to ${options.file}`);
            callback();
          },
          (error: Error) => callback(Object.assign(new Error(`could not write the message: ${error.message}`), { responseCode: 451 })),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://${host}:${port}`,
    file: options.file,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const environmentSchema = z.object({
  MAIL_SINK_PORT: z.coerce.number().int().min(0).max(65_535).default(2525),
  MAIL_SINK_HOST: z.string().min(1).default('127.0.0.1'),
  MAIL_SINK_FILE: z.string().min(1).default(path.join('.data', 'mail.mbox')),
});

async function main() {
  const parsed = environmentSchema.safeParse(process.env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    console.error(`mail sink: ${issue.path.join('.')} ${issue.message}`);
    process.exit(1);
  }
  const config = parsed.data;
  const sink = await startMailSink({
    port: config.MAIL_SINK_PORT,
    host: config.MAIL_SINK_HOST,
    file: path.resolve(config.MAIL_SINK_FILE),
    log: (line) => console.log(`mail sink: ${line}`),
  });
  console.log(`mail sink listening on ${sink.url}, writing to ${sink.file}`);
  const shutdown = async () => {
    await sink.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(`mail sink: ${(error as Error).message}`);
    process.exit(1);
  });
}
