"""Reading the text of a generated .docx in tests."""
import io

import docx


def docx_text(data: bytes) -> str:
    """Paragraphs and table cells of the document, one per line."""
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)
