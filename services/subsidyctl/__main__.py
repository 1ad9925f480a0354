from subsidyctl.cli import app

app()
