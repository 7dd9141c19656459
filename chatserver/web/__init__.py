"""The web pages for agents and owners: login, console page, dashboard and its charts."""
