import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * What tells a process from a later one that reuses its pid: when it started. Linux: field 22 of
 * /proc/<pid>/stat, `starttime`, in clock ticks after boot (proc(5), https://man7.org/linux/man-pages/man5/proc.5.html),
 * with the boot id (/proc/sys/kernel/random/boot_id) since ticks restart at every boot. Elsewhere (macOS, the
 * BSDs): `ps -o lstart= -p <pid>`, the start time POSIX ps prints. Undefined when neither answers (Windows,
 * a process already gone): the pid is then all a lock records.
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may itself hold spaces or parentheses: count from the last ")".
    const ticks = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    return ticks ? `linux ${boot} ${ticks}` : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" && process.platform === "linux") return undefined; // no such process
  }
  return process.platform === "win32" ? undefined : psStart(pid);
}

/** Where there is no /proc: the start time `ps` prints (undefined for a process that is gone, or without `ps`). */
export function psStart(pid: number): string | undefined {
  const ps = spawnSync("ps", ["-o", "lstart=", "-p", String(pid)], { encoding: "utf8" });
  const started = ps.status === 0 ? ps.stdout.trim() : "";
  return started ? `ps ${started}` : undefined;
}

/** Whether process `pid` of this machine is still the one that started at `started` (when a lock recorded it). */
export function sameProcessRunning(pid: number, started: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (started === undefined) return true; // a lock from before start times were recorded: the pid is all there is
  const now = processStart(pid);
  return now === undefined || now === started; // unknown: assume it is the same, never break a live run's lock
}
