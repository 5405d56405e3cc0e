/**
 * The seam between a task's protocol logic (MultilangTask and its bolt and spout) and the
 * channel that carries multilang messages to one component instance: a subprocess's stdio
 * (shell/) or a gRPC stream (grpc/). Tasks send and receive the message objects of
 * src/multilang/messages.ts and never see bytes, processes or sockets.
 */
import type { ErrorContext, SquallError } from '../../common/errors.js';
import type { ChildMessage } from '../../multilang/index.js';

/** One live connection to one component instance; replaced by a new one on restart. */
export interface ComponentLink {
  /** The process serving the task, when known (errors and logs name it). */
  readonly pid: number | undefined;
  /** Clock time of the last message received: the liveness check measures silence from it. */
  lastActivity: number;
  /** False while the link refuses more data (a full pipe or stream); onWritable follows. */
  readonly writable: boolean;
  readonly isDead: boolean;
  /** Queues a parent message; messages queued in one turn of the event loop travel together. */
  send(msg: unknown): void;
  /** Ends the link at once (the process group too, if the link owns one), reporting `reason`. */
  kill(reason?: SquallError): void;
  /** Graceful end: let the component finish, then force it after `graceMs`. */
  close(graceMs: number): Promise<void>;
  /** Settles when everything the link started is gone. */
  readonly exited: Promise<unknown>;
  /** Switches on the protocol extensions both sides agreed on in the handshake. */
  enableExtensions?(names: readonly string[]): void;
}

/** How a link reports to its task. Function properties: links pass them on detached. */
export interface LinkHooks {
  onMessage: (msg: ChildMessage) => void;
  /** Called once when the link dies, breaks the protocol or cannot start. */
  onFatal: (err: SquallError) => void;
  /** A problem that does not end the link (a tuple too large to send, already failed). */
  onError: (err: SquallError) => void;
  /** The link accepts data again after refusing it. */
  onWritable: () => void;
}

/** What a task needs to open one link attempt. */
export interface LinkRequest {
  /** 1 for the first start, then one more per restart. */
  attempt: number;
  /** Names the task in errors. */
  where: ErrorContext;
  hooks: LinkHooks;
}

/** A new link plus the pid directory its handshake names (Storm's pidDir; '' when unused). */
export interface OpenedLink {
  link: ComponentLink;
  pidDir: string;
}

/** Opens links of one kind for one task: a subprocess per attempt, or a stream per attempt. */
export interface LinkLauncher {
  /** Protocol extensions offered in the handshake's context (`squall.extensions`). */
  readonly extensionsOffered: readonly string[];
  /**
   * Spout commands that may be outstanding at once. Storm's stdio protocol allows exactly
   * one; a batched transport may send queued acks and fails along with the next command.
   */
  readonly spoutPipelineDepth: number;
  open(req: LinkRequest): Promise<OpenedLink>;
  /** Releases whatever outlives single links (a gRPC component process) at task close. */
  dispose?(graceMs: number): Promise<void>;
}
