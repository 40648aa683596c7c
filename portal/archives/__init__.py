"""ZIPs of the PDFs of a selection of declarations: asked for, built by the worker, downloaded
through a signed link; the progress readable while it builds."""
