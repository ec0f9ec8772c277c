from travel.entrypoints.simulator.app import main

main()
