import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** The status line and headers, as sent. */
  head: string;
  body: string;
}

/**
 * Writes bytes to a raw socket, for requests no HTTP client would send (oversized headers, a
 * malformed request line, chunk extensions), and reads one response: as far as its content-length,
 * so a connection the server keeps open does not hold the test, or until the server closes.
 */
export function rawExchange(url: string, bytes: string): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let received = Buffer.alloc(0);
    const response = (closed: boolean): RawResponse | undefined => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const head = received.subarray(0, end).toString('latin1');
      const length = Number(/^content-length: *(\d+)$/im.exec(head)?.[1] ?? NaN);
      const body = received.subarray(end + 4);
      if (!closed && !(body.length >= length)) return undefined;
      return { status: Number(head.split(' ')[1]), head, body: body.toString('utf8') };
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const whole = response(false);
      if (!whole) return;
      socket.destroy();
      resolve(whole);
    });
    socket.on('close', () => {
      const whole = response(true);
      if (whole) resolve(whole);
      else
        reject(new Error(`no response before the connection closed: ${JSON.stringify(received.toString('latin1'))}`));
    });
    socket.on('error', reject);
  });
}
