/**
 * A fault proxy in front of the local cloud's S3 for presigned-URL transfers. Two ways in:
 * - a URL rewritten to the proxy (`rewrite`, agent tests): the proxy sends it on with the Host
 *   the URL was signed for;
 * - as an HTTP forward proxy (the agent's `--transfer-proxy`, e2e): the agent's proxy client opens
 *   a CONNECT tunnel to the URL's host, and the proxy reads the plain HTTP inside it (S3 on the
 *   local cloud is plain HTTP) and sends each request on to that host unchanged, Host included, so
 *   the SigV4 signature still holds.
 * Faults: the next `failNext` requests are answered 503 SlowDown and the next `expireNext` PUTs,
 * each of an object not expired before (a renewed URL is not expired again), 403 "Request has
 * expired" (as S3 answers both), without reaching S3; with `holdPutsAfter` set,
 * PUTs past that many are held unanswered and never sent on (an agent killed then has no PUT in
 * flight at S3). Every request is recorded per object path (its signature, time and answer), and
 * the PUTs S3 accepted are counted per path.
 */
import * as http from 'node:http';
import type { Socket } from 'node:net';

export interface ProxiedRequest {
  readonly method: string;
  readonly signature: string;
  readonly at: number;
  /** `throttled` and `expired`: answered by the proxy; else S3's status. */
  readonly answer: number | 'throttled' | 'expired' | 'held';
}

export class FaultProxy {
  /** Requests still to be answered 503 without reaching S3. */
  failNext = 0;
  /** PUTs still to be answered 403 "Request has expired" without reaching S3, one per object. */
  expireNext = 0;
  /** PUTs sent on to S3 before the rest are held; undefined: none held. */
  holdPutsAfter?: number;
  /** PUTs S3 accepted, per object path. */
  readonly putsPerPath = new Map<string, number>();
  /** Every request, per object path, in arrival order. */
  readonly requestsPerPath = new Map<string, ProxiedRequest[]>();
  forwardedPuts = 0;
  private server?: http.Server;
  private readonly tunnelled = new WeakSet<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  get heldPuts(): number {
    return [...this.requestsPerPath.values()].flat().filter((request) => request.answer === 'held').length;
  }

  acceptedPuts(): number {
    return [...this.putsPerPath.values()].reduce((a, b) => a + b, 0);
  }

  /** Paths with a request answered `answer`. */
  pathsAnswered(answer: ProxiedRequest['answer']): string[] {
    return [...this.requestsPerPath.entries()].filter(([, requests]) => requests.some((request) => request.answer === answer)).map(([path]) => path);
  }

  reset(): void {
    this.failNext = 0;
    this.expireNext = 0;
    this.holdPutsAfter = undefined;
    this.forwardedPuts = 0;
    this.putsPerPath.clear();
    this.requestsPerPath.clear();
  }

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => this.handle(request, response));
    this.server.on('connect', (_request: http.IncomingMessage, socket: Socket, head: Buffer) => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) socket.unshift(head);
      this.tunnelled.add(socket);
      this.server!.emit('connection', socket);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as { port: number }).port;
  }

  private record(path: string, entry: ProxiedRequest): void {
    this.requestsPerPath.set(path, [...(this.requestsPerPath.get(path) ?? []), entry]);
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const [path, query = ''] = (request.url ?? '').split('?');
    const method = request.method ?? 'GET';
    const signature = new URLSearchParams(query).get('X-Amz-Signature') ?? '';
    const at = Date.now();
    if (this.failNext > 0) {
      this.failNext--;
      this.record(path, { method, signature, at, answer: 'throttled' });
      response.writeHead(503, { 'content-type': 'application/xml' }).end('<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      return;
    }
    if (method === 'PUT' && this.expireNext > 0 && !this.pathsAnswered('expired').includes(path)) {
      this.expireNext--;
      this.record(path, { method, signature, at, answer: 'expired' });
      response.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
      return;
    }
    if (method === 'PUT' && this.holdPutsAfter !== undefined && this.forwardedPuts >= this.holdPutsAfter) {
      this.record(path, { method, signature, at, answer: 'held' });
      return;
    }
    if (method === 'PUT') this.forwardedPuts++;
    // Through a tunnel the Host is the one the URL was signed for; a rewritten URL names the proxy instead.
    const host = this.tunnelled.has(request.socket as Socket) && request.headers.host ? request.headers.host : this.target.host;
    const [hostname, port] = host.split(':');
    const upstream = http.request({ host: hostname, port: port ?? 80, method, path: request.url, headers: { ...request.headers, host } }, (answer) => {
      const status = answer.statusCode ?? 502;
      this.record(path, { method, signature, at, answer: status });
      if (method === 'PUT' && status < 300) this.putsPerPath.set(path, (this.putsPerPath.get(path) ?? 0) + 1);
      response.writeHead(status, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  }

  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.host = `127.0.0.1:${this.port}`;
    return parsed.toString();
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
