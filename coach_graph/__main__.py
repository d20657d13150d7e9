from coach_graph.cli import main

main()
