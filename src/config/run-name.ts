/**
 * A run name is one path segment: letters, digits, '.', '_', '-', not starting with a dot, so it
 * can never climb out of the runs root ('..', '/', absolute paths and NUL are all excluded).
 */
export const RUN_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
