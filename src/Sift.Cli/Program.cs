using Sift.Cli;

return await SiftCli.RunAsync(args);
