from gds.app import main

main()
