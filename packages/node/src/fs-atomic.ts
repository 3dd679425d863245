/**
 * Atomic file output: a file appears under its name only when it is complete. Shared by the CLI,
 * video and the queue worker.
 */
import { randomBytes } from 'node:crypto'
import { readdir, rename, unlink, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { MatteError } from '@mattekit/core'

/**
 * A temp path beside `path` (same directory, so the final rename is atomic), named
 * `.<name>.<pid>.<random>.tmp<ext>` so that stale ones can be recognised by {@link removeStaleTemps}.
 *
 * @param path - the final path
 * @returns the temp path
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp${extname(path)}`)
}

/**
 * Writes `data` to `path` through a temp file in the same directory and a rename.
 *
 * @param path - the final path
 * @param data - the bytes
 * @param temps - if given, the temp path is tracked here while it exists (for signal handlers)
 * @throws {@link MatteError} `OUTPUT` when writing fails; no temp file is left
 */
export async function writeFileAtomic(path: string, data: Uint8Array, temps?: Set<string>): Promise<void> {
  const temp = tempPathFor(path)
  temps?.add(temp)
  try {
    await writeFile(temp, data, { flag: 'wx' })
    await rename(temp, path)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    throw new MatteError('OUTPUT', `Could not write ${path}: ${(error as Error).message}`, { cause: error })
  } finally {
    temps?.delete(temp)
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes temp files of `path` left by processes that died (SIGKILL, power loss) before they
 * could clean up. Temp files of live processes are left alone.
 *
 * @param path - the final path whose temp files to look for
 * @returns how many were removed
 */
export async function removeStaleTemps(path: string): Promise<number> {
  const prefix = `.${basename(path)}.`
  let removed = 0
  const names = await readdir(dirname(path)).catch(() => [] as string[])
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const m = /^\.(?:.+)\.(\d+)\.[0-9a-f]{8}\.tmp/.exec(name)
    if (!m || alive(Number(m[1]))) continue
    await unlink(join(dirname(path), name)).then(
      () => removed++,
      () => undefined,
    )
  }
  return removed
}
