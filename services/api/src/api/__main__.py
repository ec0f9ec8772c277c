from api.entrypoints.http import main

main()
