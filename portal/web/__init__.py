"""The web pages: server-rendered, in the portal's 25 languages, calling the services the API calls."""
