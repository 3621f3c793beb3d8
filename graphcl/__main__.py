from graphcl.cli import main

raise SystemExit(main())
