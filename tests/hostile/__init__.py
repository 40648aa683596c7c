"""What a hostile or sloppy fleet client sends: each is refused with the right status, an error
body naming every failing field by its JSON path, and nothing stored (api.md section 1, domain.md
"Rules a declaration must pass")."""
