from notifications.entrypoints.api import main

main()
