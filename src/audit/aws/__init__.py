"""Read-only AWS crawling: sessions and the guard, one collector per service, the crawler."""
