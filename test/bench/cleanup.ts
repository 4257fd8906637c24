/**
 * Everything a bench run leaves behind (child processes, temp dirs) is registered here and removed on normal exit, on
 * error and on SIGINT/SIGTERM. Synchronous on purpose: it must also work from the 'exit' handler.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Cleanup {
  private readonly children = new Set<ChildProcess>();
  private readonly dirs: string[] = [];
  private isDone = false;

  /** Tracks a child until it exits; returns a function that stops tracking it. */
  trackChild(child: ChildProcess): () => void {
    this.children.add(child);
    const untrack = (): void => {
      this.children.delete(child);
    };
    child.once('exit', untrack);
    return untrack;
  }

  /** A fresh temp dir under the OS temp folder, removed at cleanup. */
  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), `hoist-bench-${prefix}-`));
    this.dirs.push(dir);
    return dir;
  }

  /** Kills every tracked child (by its own pid) and removes every temp dir. Idempotent. */
  runAll(): void {
    if (this.isDone) return;
    this.isDone = true;
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.children.clear();
    for (const dir of this.dirs.splice(0)) {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (error) {
        process.stderr.write(`[bench] could not remove ${dir}: ${(error as Error).message}\n`);
      }
    }
  }

  /** Runs cleanup on process exit and turns SIGINT/SIGTERM into a cleaned-up exit. */
  installProcessHandlers(): void {
    process.once('exit', () => this.runAll());
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        process.stderr.write(`\n[bench] ${signal}: cleaning up\n`);
        this.runAll();
        process.exit(130);
      });
    }
  }
}
