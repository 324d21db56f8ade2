"""`vidvar web`: the dashboard and JSON API on top of the store and the job folders.

- `app`: the ASGI app and its guard (sign-in, CSRF, security headers)
- `api`: the JSON endpoints; `pages`: the HTML pages (Jinja2, no build step)
- `uploads`: uploads streamed into an inbox; `files`: outputs and the ZIP
- `security`: passwords, tokens, sessions, origin checks; `server`: uvicorn
"""
