// Generated from the Rust error codes by `bash scripts/gen-types.sh`; do not edit.
export const ERROR_CODES = ["record_not_found", "template_not_found", "invalid_values", "record_finalized", "bad_state", "not_found", "conflict", "pack_invalid", "template_error", "missing_glyph", "layout_error", "database_error", "schema_too_new", "io_error", "bad_input", "print_failed", "audit_broken", "locked", "forbidden", "internal", "sync_running"] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
