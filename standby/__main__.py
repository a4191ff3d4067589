from standby.cli.main import entry

entry()
