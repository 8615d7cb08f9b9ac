"""CDS Hooks cards built from staging reports."""
