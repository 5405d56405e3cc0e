/**
 * Links over a multilang subprocess's stdio (Storm's ShellBolt/ShellSpout transport): one
 * process per attempt, each with its own pid directory inside the run directory.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { textOf } from '../../common/text.js';
import type { SerializerKind } from '../../multilang/index.js';
import type { ComponentRequest } from '../../runtime/runtime.js';
import { normalizeSerializer } from '../../topology/config-schema.js';
import type { LinkLauncher, LinkRequest, OpenedLink } from '../multilang-task/component-link.js';
import { RUN_ID_ENV } from './pid-dirs.js';
import { ShellChild } from './shell-child.js';

export interface ShellEnvironment {
  /** This run's directory; pid directories are created inside it. */
  runDir: string;
  runId: string;
  /** Working directory of the child (the topology's resources directory). */
  cwd: string;
  /** Environment of the child (PYTHONPATH etc. already set). */
  env: Record<string, string>;
}

const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export class ShellLauncher implements LinkLauncher {
  readonly extensionsOffered: readonly string[];
  /** Storm's adapters read exactly one command and answer it before the next. */
  readonly spoutPipelineDepth = 1;
  private readonly serializer: SerializerKind;

  constructor(
    private readonly req: ComponentRequest,
    private readonly command: readonly string[],
    private readonly env: ShellEnvironment,
  ) {
    this.serializer = normalizeSerializer(textOf(req.component.config['topology.multilang.serializer'] ?? 'json')) as SerializerKind;
    // ndjson is for languages with no adapter: nothing there could accept a batch.
    this.extensionsOffered = this.serializer === 'ndjson' ? [] : ['batch'];
  }

  async open({ attempt, where, hooks }: LinkRequest): Promise<OpenedLink> {
    const pidDir = join(this.env.runDir, `${this.req.component.id}-${this.req.taskId}-${attempt}`);
    await mkdir(pidDir, { recursive: true });
    const link = new ShellChild({
      command: this.command,
      cwd: this.env.cwd,
      env: { ...this.env.env, [RUN_ID_ENV]: this.env.runId },
      serializer: this.serializer,
      maxFrameBytes: MAX_FRAME_BYTES,
      logger: this.req.logger,
      clock: this.req.clock,
      where,
      onMessage: hooks.onMessage,
      onFatal: hooks.onFatal,
      onWritable: hooks.onWritable,
    });
    return { link, pidDir };
  }
}
