"""Work catalog (groups A/B/C/D, time norms, complexity) and job descriptions. Filled by issue 5."""
