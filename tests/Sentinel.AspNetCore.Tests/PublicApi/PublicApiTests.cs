using System.Reflection;
using System.Text;
using FluentAssertions;

namespace Sentinel.AspNetCore.Tests.PublicApi;

/// <summary>
/// The public API of the packages, tracked as text: an accidental breaking change (or any change) fails
/// here. After an intended change, copy the written <c>*.received.txt</c> (its path is in the failure) over the
/// <c>*.txt</c> beside this file.
/// </summary>
public sealed class PublicApiTests
{
    [Theory]
    [InlineData("Sentinel.Core")]
    [InlineData("Sentinel.EntityFramework")]
    [InlineData("Sentinel.AspNetCore")]
    [InlineData("Sentinel.Redis")]
    public void PublicApi_MatchesTheApprovedSnapshot(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        var actual = Describe(assembly);
        // The approved snapshots are copied beside the test assembly; a changed surface is written there too.
        var folder = Path.Combine(AppContext.BaseDirectory, "PublicApi");
        var approvedPath = Path.Combine(folder, assemblyName + ".txt");
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        var receivedPath = Path.Combine(folder, assemblyName + ".received.txt");
        if (!string.Equals(approved, actual, StringComparison.Ordinal))
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(receivedPath, actual);
        }

        actual.Should().Be(approved, "public API changes must be approved: if intended, copy {0} over tests/Sentinel.AspNetCore.Tests/PublicApi/{1}.txt", receivedPath, assemblyName);
    }

    private static string Describe(Assembly assembly)
    {
        var text = new StringBuilder();
        const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in assembly.GetExportedTypes().OrderBy(Name, StringComparer.Ordinal))
        {
            text.Append(Kind(type)).Append(' ').Append(Name(type)).Append(Bases(type)).Append('\n');
            foreach (var member in type.GetMembers(flags).Where(IsVisible).Select(Member).Order(StringComparer.Ordinal))
            {
                text.Append("  ").Append(member).Append('\n');
            }
        }

        return text.ToString();
    }

    private static bool IsVisible(MemberInfo member) => member switch
    {
        MethodBase m => (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly) && !(m.IsSpecialName && (m.Name.StartsWith("get_", StringComparison.Ordinal) || m.Name.StartsWith("set_", StringComparison.Ordinal) || m.Name.StartsWith("add_", StringComparison.Ordinal) || m.Name.StartsWith("remove_", StringComparison.Ordinal))),
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        PropertyInfo p => (p.GetMethod ?? p.SetMethod) is { } accessor && (accessor.IsPublic || accessor.IsFamily),
        EventInfo e => e.AddMethod is { IsPublic: true },
        _ => false,
    };

    private static string Member(MemberInfo member) => member switch
    {
        ConstructorInfo c => $".ctor({Parameters(c)})",
        MethodInfo m => $"{(m.IsStatic ? "static " : "")}{Name(m.ReturnType)} {m.Name}{(m.IsGenericMethod ? "<" + string.Join(",", m.GetGenericArguments().Select(Name)) + ">" : "")}({Parameters(m)})",
        PropertyInfo p => $"{Name(p.PropertyType)} {p.Name} {{{(p.GetMethod is { IsPublic: true } ? " get;" : "")}{(p.SetMethod is { IsPublic: true } ? (p.SetMethod.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.Name == "IsExternalInit") ? " init;" : " set;") : "")} }}",
        FieldInfo f => $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{Name(f.FieldType)} {f.Name}{(f.IsLiteral ? " = " + f.GetRawConstantValue() : "")}",
        EventInfo e => $"event {Name(e.EventHandlerType!)} {e.Name}",
        _ => member.Name,
    };

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p => $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : "")}{Name(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : "")}"));

    private static string Kind(Type type) =>
        type.IsInterface ? "interface" : type.IsEnum ? "enum" : type.IsValueType ? "struct" : type.IsAbstract && type.IsSealed ? "static class" : type.IsAbstract ? "abstract class" : type.IsSealed ? "sealed class" : "class";

    private static string Bases(Type type)
    {
        var bases = new List<string>();
        if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum))
        {
            bases.Add(Name(b));
        }

        bases.AddRange(type.GetInterfaces().Select(Name).Order(StringComparer.Ordinal));
        return bases.Count == 0 ? "" : " : " + string.Join(", ", bases);
    }

    private static string Name(Type type)
    {
        if (type.IsByRef)
        {
            return Name(type.GetElementType()!);
        }

        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[]";
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Name(underlying) + "?";
        }

        var name = type.IsGenericParameter ? type.Name : (type.DeclaringType is { } outer && !type.IsGenericParameter ? Name(outer) + "." : type.Namespace + ".") + type.Name;
        if (type.IsGenericType)
        {
            name = name[..name.IndexOf('`', StringComparison.Ordinal)] + "<" + string.Join(",", type.GetGenericArguments().Select(Name)) + ">";
        }

        return name;
    }

}
