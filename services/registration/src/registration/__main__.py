from registration.entrypoints.api import main

main()
