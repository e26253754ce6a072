"""Thin views: parse the request, call a service, render. One module per concern."""
