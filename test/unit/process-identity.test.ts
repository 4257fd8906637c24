import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isSameLiveProcess, parseLinuxProcStat, parsePsStatStart, parseWindowsFileTime } from '../../main/domain/process-identity.js';
import { currentProcessIdentity, isProcessAlive, probeProcess } from '../../main/app/os/process-identity.js';

const STAT_TAIL = '4183 4183 3248 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 1040565 3133440 357 18446744073709551615 93986452987904';

describe('process identity parsers', () => {
  it('reads state and starttime of /proc/PID/stat, counting fields from the last parenthesis', () => {
    expect(parseLinuxProcStat(`4186 (cat) R ${STAT_TAIL}\n`)).toEqual({ isRunning: true, startTime: 'linux:1040565' });
    // A command name can hold spaces and parentheses, even ") Z 1 2": only the last ')' ends it.
    expect(parseLinuxProcStat(`77 (my (odd) name) Z 1 2) S ${STAT_TAIL}`)).toEqual({ isRunning: true, startTime: 'linux:1040565' });
    expect(parseLinuxProcStat(`77 (node) Z ${STAT_TAIL}`)).toEqual({ isRunning: false });
    expect(parseLinuxProcStat(`77 (node) X ${STAT_TAIL}`)).toEqual({ isRunning: false });
    expect(parseLinuxProcStat('77 (node) S 1 2 3')).toBeUndefined();
    expect(parseLinuxProcStat('')).toBeUndefined();
  });

  it('reads ps -o stat= -o lstart= (macOS): zombie, running, gone, unreadable', () => {
    expect(parsePsStatStart('Ss   Wed Dec  3 12:05:43 2025\n')).toEqual({ isRunning: true, startTime: 'ps:Wed Dec 3 12:05:43 2025' });
    // ps pads the day of month: the token must not depend on that padding.
    expect(parsePsStatStart('R+   Wed Dec 3 12:05:43 2025')).toEqual({ isRunning: true, startTime: 'ps:Wed Dec 3 12:05:43 2025' });
    expect(parsePsStatStart('Z+   Wed Dec  3 12:05:43 2025\n')).toEqual({ isRunning: false });
    expect(parsePsStatStart('Z    -\n')).toEqual({ isRunning: false });
    expect(parsePsStatStart('\n')).toEqual({ isRunning: false });
    expect(parsePsStatStart('ps: illegal option')).toBeUndefined();
  });

  it('reads a Windows FILETIME from PowerShell', () => {
    expect(parseWindowsFileTime('134091234567890123\r\n')).toEqual({ isRunning: true, startTime: 'win:134091234567890123' });
    expect(parseWindowsFileTime('')).toBeUndefined();
    expect(parseWindowsFileTime('Get-Process : Cannot find a process with the process identifier 5.')).toBeUndefined();
  });

  it('a holder is alive only if its pid runs, is no zombie and started when it did; unknown start times trust the pid', () => {
    const holder = { pid: 5, startTime: 'linux:100' };
    expect(isSameLiveProcess(holder, { isRunning: true, startTime: 'linux:100' })).toBe(true);
    expect(isSameLiveProcess(holder, { isRunning: true, startTime: 'linux:200' })).toBe(false); // pid reused
    expect(isSameLiveProcess(holder, { isRunning: false })).toBe(false); // gone or zombie
    expect(isSameLiveProcess(holder, { isRunning: true, startTime: null })).toBe(true);
    expect(isSameLiveProcess({ pid: 5, startTime: null }, { isRunning: true, startTime: 'linux:200' })).toBe(true);
  });
});

describe('process identity probes on this machine', () => {
  it('this process is alive under its own identity and not under another start time', () => {
    const self = currentProcessIdentity();
    expect(self.pid).toBe(process.pid);
    if (process.platform === 'linux') {
      const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
      expect(self.startTime).toBe(`linux:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`);
    }
    expect(isProcessAlive(self)).toBe(true);
    if (self.startTime !== null) expect(isProcessAlive({ ...self, startTime: `${self.startTime}0` })).toBe(false);
  });

  it('a process that exited is gone, through /proc and through ps alike', () => {
    const exited = spawnSync(process.execPath, ['-e', '0']).pid!;
    expect(probeProcess(exited)).toEqual({ isRunning: false });
    expect(probeProcess(exited, 'darwin')).toEqual({ isRunning: false });
    expect(probeProcess(-1)).toEqual({ isRunning: false });
  });

  it.runIf(process.platform === 'linux')('the ps path (macOS) reads this process too', () => {
    const viaPs = probeProcess(process.pid, 'darwin');
    expect(viaPs).toMatchObject({ isRunning: true, startTime: expect.stringMatching(/^ps:\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}$/) });
  });
});
