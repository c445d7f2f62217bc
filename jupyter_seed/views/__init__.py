"""How results look: the status, check reports and sweep summaries as text, HTML,
Markdown and PNG. Result classes hold data; rendering lives here."""
