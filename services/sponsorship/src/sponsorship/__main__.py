from sponsorship.entrypoints.api import main

main()
