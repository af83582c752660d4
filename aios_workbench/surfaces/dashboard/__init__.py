"""The Panel dashboard for business analysts (`aios dashboard`).

`server` serves it, `app` builds one session's app, `pages/` holds one module per page,
`data` is the facade every page reads through as the logged-in user, `auth` and `users`
handle logins. Panel, Bokeh and hvPlot are imported only by the modules that serve or draw.
"""
