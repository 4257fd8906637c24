/**
 * The start time of the process holding a job's lease, next to its pid: a killed process that is not yet reaped (a
 * zombie, common in containers without an init) and a later process reusing the pid both pass kill(pid, 0), so the pid
 * alone kept a dead holder's lease alive. TEXT, an opaque token compared for equality (see domain/process-identity):
 * each OS reports start times in its own unit. NULL for leases written before, which the pid alone judges as before.
 */
export const sql = `
ALTER TABLE jobs ADD COLUMN lease_pid_start TEXT;
`;
