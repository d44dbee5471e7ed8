"""Work catalog (groups A/B/C/D, time norms, complexity), approvals, versions and job descriptions."""
