"""Figures, tables and the report: the shared output layer every analysis plugs into."""
