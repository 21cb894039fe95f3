"""Stage 8, report: formatters turn diagnostics into text or SARIF."""
