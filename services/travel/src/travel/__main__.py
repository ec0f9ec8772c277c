from travel.entrypoints.api import main

main()
