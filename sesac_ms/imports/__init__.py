"""Reading the spreadsheets that campus staff upload (CSV or XLSX), shared by every import."""
