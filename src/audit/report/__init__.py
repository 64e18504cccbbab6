"""The weekly report: papermill notebooks, the offline HTML export, the backlog export, the weekly run."""
