"""Daily work entries (logging) and their review. The entry table comes with the catalog (issue 5);
logging rules and review are issue 7."""
